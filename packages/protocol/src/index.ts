export {
  type BeginRequestBody,
  decodeBeginRequestBody,
  decodeEndRequestBody,
  decodeUnknownTypeBody,
  type EndRequestBody,
  encodeBeginRequest,
  encodeBeginRequestBody,
  encodeEndRequest,
  encodeEndRequestBody,
  encodeGetValues,
  encodeGetValuesResult,
  encodeUnknownTypeBody,
} from './bodies';
export {
  FCGI_HEADER_LEN,
  FCGI_MAX_CONNS,
  FCGI_MAX_CONTENT_LEN,
  FCGI_MAX_PADDING_LEN,
  FCGI_MAX_REQS,
  FCGI_MPXS_CONNS,
  FCGI_NULL_REQUEST_ID,
  FCGI_VERSION_1,
  KEEP_CONN,
  ProtocolStatus,
  RecordType,
  Role,
} from './constants';
export { ProtocolError, type ProtocolErrorCode } from './errors';
export {
  decodeParams,
  encodeParams,
  encodeParamsRecords,
  encodeRawParams,
  type PairsInput,
  type ParamBytes,
  type ParamPair,
  type ParamsDecodeOptions,
  ParamsDecoder,
  type ParamsEncoding,
} from './params';
export {
  encodeHeader,
  encodeRecord,
  encodeStreamEnd,
  encodeStreamRecords,
  type FcgiRecord,
  paddingFor,
  writeHeader,
} from './record';
export { RecordDecoder, type RecordDecoderOptions } from './record-decoder';
export {
  encodeResponseHead,
  formatResponseHead,
  type HeaderList,
  type HeadersLike,
  parseResponseHead,
  type ResponseHead,
  ResponseHeadParser,
} from './response-head';
export { statusText } from './status-text';
