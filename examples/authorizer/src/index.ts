export { createAuthorizer, parseTokenTable, type TokenTable, USER_VARIABLE } from './authorize';
