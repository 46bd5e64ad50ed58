import { announcement } from './announcement.js';
import { eventInvitation } from './event.js';
import { plainLetter } from './letter.js';
import { newsletter } from './newsletter.js';
import { promotion } from './promotion.js';
import type { StarterTemplate } from './shared.js';
import { welcome } from './welcome.js';

export type { StarterTemplate } from './shared.js';

/**
 * Designs seeded once into a new install. They are TypeScript string
 * modules rather than .mjml files so the build carries them into dist/.
 */
export const STARTER_TEMPLATES: readonly StarterTemplate[] = [
  newsletter,
  announcement,
  welcome,
  promotion,
  eventInvitation,
  plainLetter,
];
