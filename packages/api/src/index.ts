export {
  MAX_NAME_BYTES,
  NAME_RULES,
  nameProblem,
  isValidName,
  encodeName,
  decodeName,
} from './names.js';
export {
  API_ERRORS,
  API_ERROR_CODES,
  statusOf,
  isApiErrorCode,
  type ApiErrorCode,
} from './errors.js';
export {
  HEADERS,
  JSON_CONTENT_TYPE,
  BODY_CONTENT_TYPE,
  fileHeaders,
  etagOf,
  sha256OfEtag,
  type FileHeaderFields,
} from './headers.js';
export {
  PATHS,
  filePath,
  DEFAULT_LIST_LIMIT,
  MAX_LIST_LIMIT,
  MAX_WRITE_HOLDERS,
} from './endpoints.js';
export {
  MEMBER_STATES,
  sizeSchema,
  sha256Schema,
  millisSchema,
  putResultSchema,
  fileEntrySchema,
  listPageSchema,
  memberSchema,
  clusterViewSchema,
  healthSchema,
  errorBodySchema,
  type PutResult,
  type FileEntry,
  type ListPage,
  type MemberState,
  type Member,
  type ClusterView,
  type HealthServing,
  type HealthNotServing,
  type HealthBody,
  type ErrorBody,
} from './schemas.js';
