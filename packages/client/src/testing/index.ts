export {
  startFakeDfsServer,
  parseRange,
  type FakeDfsServer,
  type FakeDfsServerOptions,
  type FakeFile,
  type FakeMember,
  type FakeRequestRecord,
} from './fake-server.js';
