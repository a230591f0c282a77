import { createRouter } from '../../lib/openapi.ts';
import { createKey, listDeadLetters, listKeys, replayDeadLetter, revokeKey, syncPartitions } from './routes.ts';
import { createKeyHandler, listDeadLettersHandler, listKeysHandler, replayDeadLetterHandler, revokeKeyHandler, syncPartitionsHandler } from './handlers.ts';

export const adminRouter = createRouter()
  .openapi(createKey, createKeyHandler)
  .openapi(listKeys, listKeysHandler)
  .openapi(revokeKey, revokeKeyHandler)
  .openapi(listDeadLetters, listDeadLettersHandler)
  .openapi(replayDeadLetter, replayDeadLetterHandler)
  .openapi(syncPartitions, syncPartitionsHandler);
