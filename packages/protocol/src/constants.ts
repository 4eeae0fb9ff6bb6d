/** Protocol version carried in every record header (FastCGI 1.0, §3.3). */
export const FCGI_VERSION_1 = 1;
/** Size of a record header in bytes. */
export const FCGI_HEADER_LEN = 8;
/** Largest content a single record can carry (contentLength is a u16). */
export const FCGI_MAX_CONTENT_LEN = 65535;
/** Largest padding a single record can carry (paddingLength is a u8). */
export const FCGI_MAX_PADDING_LEN = 255;
/** Request id of management records (§3.3). */
export const FCGI_NULL_REQUEST_ID = 0;
/** BEGIN_REQUEST flag: the web server keeps the connection open after END_REQUEST (§5.1). */
export const KEEP_CONN = 1;

/** Record types (§8). */
export const RecordType = {
  BeginRequest: 1,
  AbortRequest: 2,
  EndRequest: 3,
  Params: 4,
  Stdin: 5,
  Stdout: 6,
  Stderr: 7,
  Data: 8,
  GetValues: 9,
  GetValuesResult: 10,
  UnknownType: 11,
} as const;
export type RecordType = (typeof RecordType)[keyof typeof RecordType];

/** Roles an application can be asked to play in BEGIN_REQUEST (§6). */
export const Role = { Responder: 1, Authorizer: 2, Filter: 3 } as const;
export type Role = (typeof Role)[keyof typeof Role];

/** protocolStatus values of END_REQUEST (§5.5). */
export const ProtocolStatus = { RequestComplete: 0, CantMpxConn: 1, Overloaded: 2, UnknownRole: 3 } as const;
export type ProtocolStatus = (typeof ProtocolStatus)[keyof typeof ProtocolStatus];

/** Variable names a web server may ask about with GET_VALUES (§4.1). */
export const FCGI_MAX_CONNS = 'FCGI_MAX_CONNS';
export const FCGI_MAX_REQS = 'FCGI_MAX_REQS';
export const FCGI_MPXS_CONNS = 'FCGI_MPXS_CONNS';
