import { createRouter } from '../../lib/openapi.ts';
import { createKey, listDeadLetters, listKeys, replayDeadLetter, revokeKey } from './routes.ts';
import { createKeyHandler, listDeadLettersHandler, listKeysHandler, replayDeadLetterHandler, revokeKeyHandler } from './handlers.ts';

export const adminRouter = createRouter()
  .openapi(createKey, createKeyHandler)
  .openapi(listKeys, listKeysHandler)
  .openapi(revokeKey, revokeKeyHandler)
  .openapi(listDeadLetters, listDeadLettersHandler)
  .openapi(replayDeadLetter, replayDeadLetterHandler);
