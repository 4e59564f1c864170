import { transportCompliance } from './compliance/suite.js';
import { tcpHarness } from './compliance/tcp-harness.js';

transportCompliance('TcpTransport', async () => tcpHarness());
transportCompliance('TcpTransport with a cluster secret', async () =>
  tcpHarness({ secret: 'correct horse battery staple', clusterId: 'test' }),
);
