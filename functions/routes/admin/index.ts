import { createRouter } from '../../lib/openapi.ts';
import { createKey, listDeadLetters, replayDeadLetter, revokeKey } from './routes.ts';
import { createKeyHandler, listDeadLettersHandler, replayDeadLetterHandler, revokeKeyHandler } from './handlers.ts';

export const adminRouter = createRouter()
  .openapi(createKey, createKeyHandler)
  .openapi(revokeKey, revokeKeyHandler)
  .openapi(listDeadLetters, listDeadLettersHandler)
  .openapi(replayDeadLetter, replayDeadLetterHandler);
