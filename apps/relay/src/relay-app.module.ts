import { HeraldCoreModule, type HeraldConfig } from '@herald/common';
import { InboundServerModule } from '@herald/inbound';
import { RelayServerModule } from '@herald/relay';
import { WebhooksCoreModule } from '@herald/webhooks';
import { type DynamicModule, Module } from '@nestjs/common';

/**
 * A standalone relay process: the core module, the SMTP relay's listeners
 * (workers deliver what it stores) and the inbound listener for bounces,
 * complaints and mailed unsubscribes, whose webhook events the webhooks
 * sink writes here.
 */
@Module({})
export class RelayAppModule {
  static forRoot(config: HeraldConfig): DynamicModule {
    return {
      module: RelayAppModule,
      imports: [
        HeraldCoreModule.forRoot(config),
        RelayServerModule.forRoot({ required: true }),
        InboundServerModule.forRoot({ required: true }),
        WebhooksCoreModule,
      ],
    };
  }
}
