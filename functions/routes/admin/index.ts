import { createRouter } from '../../lib/openapi.ts';
import { createKey, listDeadLetters, replayDeadLetter, revokeKey, syncPartitions } from './routes.ts';
import { createKeyHandler, listDeadLettersHandler, replayDeadLetterHandler, revokeKeyHandler, syncPartitionsHandler } from './handlers.ts';

export const adminRouter = createRouter()
  .openapi(createKey, createKeyHandler)
  .openapi(revokeKey, revokeKeyHandler)
  .openapi(listDeadLetters, listDeadLettersHandler)
  .openapi(replayDeadLetter, replayDeadLetterHandler)
  .openapi(syncPartitions, syncPartitionsHandler);
