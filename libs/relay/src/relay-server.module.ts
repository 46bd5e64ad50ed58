import { type DynamicModule, Module } from '@nestjs/common';
import { RelayCoreModule } from './relay-core.module.js';
import { RELAY_SERVER_OPTIONS, RelayServer, type RelayServerOptions } from './relay-server.js';

/**
 * The SMTP listeners: the relay app loads them with `required` (a port it
 * cannot bind stops it), the api under `npm start` without (it logs
 * `relay.port_unavailable` and serves the rest).
 */
@Module({})
export class RelayServerModule {
  static forRoot(options: RelayServerOptions): DynamicModule {
    return {
      module: RelayServerModule,
      imports: [RelayCoreModule],
      providers: [{ provide: RELAY_SERVER_OPTIONS, useValue: options }, RelayServer],
      exports: [RelayServer],
    };
  }
}
