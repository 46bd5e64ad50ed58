/**
 * The job catalogue: every queue, its job names and their payloads. Jobs
 * carry ids, never data; the handler re-reads state from Postgres.
 */
export const QUEUES = {
  imports: 'imports',
} as const;

export interface JobPayloads {
  'import.run': { importId: string };
}

export type JobName = keyof JobPayloads;
