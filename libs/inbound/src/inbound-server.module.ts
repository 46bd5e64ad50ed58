import { type DynamicModule, Module } from '@nestjs/common';
import { InboundCoreModule } from './inbound-core.module.js';
import { INBOUND_SERVER_OPTIONS, InboundServer, type InboundServerOptions } from './inbound-server.js';

/**
 * The inbound SMTP listener: the relay app loads it with `required` (a port
 * it cannot bind stops it), the api under `npm start` without (it logs
 * `inbound.port_unavailable` and serves the rest).
 */
@Module({})
export class InboundServerModule {
  static forRoot(options: InboundServerOptions): DynamicModule {
    return {
      module: InboundServerModule,
      imports: [InboundCoreModule],
      providers: [{ provide: INBOUND_SERVER_OPTIONS, useValue: options }, InboundServer],
      exports: [InboundServer],
    };
  }
}
