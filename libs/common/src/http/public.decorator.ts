import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'herald:public';
/** Marks a route reachable without a session or API key (login, tracking, health). */
export const Public = () => SetMetadata(IS_PUBLIC, true);
