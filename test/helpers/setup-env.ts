// n8n-core keeps its settings and binary data under N8N_USER_FOLDER: a scratch folder per worker.
import { mkdirSync } from 'node:fs';
import path from 'node:path';

const folder = path.join(__dirname, '..', '.tmp', `n8n-${process.env.JEST_WORKER_ID ?? '0'}`);
mkdirSync(folder, { recursive: true });
process.env.N8N_USER_FOLDER = folder;
process.env.N8N_ENCRYPTION_KEY ??= 'test-encryption-key-not-secret';
