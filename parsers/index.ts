export * from './record.js';
export { UserError } from './userError.js';
export * from './formats.js';
export { compileNginxLogFormat, parseLogFormatDirective, makeNginxJsonParser, BUILTIN_LOG_FORMATS, LogFormatError } from './nginxAccess.js';
export { makeNginxErrorParser } from './nginxError.js';
export { makeCaddyParser } from './caddy.js';
export { makeOpenClawParser, stripAnsi } from './openclaw.js';
export { ERROR_KINDS, classifyNginxError, classifyCaddyError } from './errorKinds.js';
