export { makeCaddyParser } from './caddy.js';
export { classifyCaddyError, classifyNginxError, ERROR_KINDS } from './errorKinds.js';
export * from './formats.js';
export { BUILTIN_LOG_FORMATS, compileNginxLogFormat, LogFormatError, makeNginxJsonParser, parseLogFormatDirective, } from './nginxAccess.js';
export { makeNginxErrorParser } from './nginxError.js';
export { makeOpenClawParser, stripAnsi } from './openclaw.js';
export * from './record.js';
export { UserError } from './userError.js';
//# sourceMappingURL=index.js.map