import { AuthModule } from '@herald/auth';
import { CampaignsModule } from '@herald/campaigns';
import { type CoreOptions, HeraldCoreModule, type HeraldConfig } from '@herald/common';
import { ContactsModule } from '@herald/contacts';
import { DeliveryModule, SandboxInboxModule } from '@herald/delivery';
import { InboundModule, InboundServerModule } from '@herald/inbound';
import { ProcessorsModule } from '@herald/processors';
import { SegmentsModule } from '@herald/segments';
import { RelayModule, RelayServerModule } from '@herald/relay';
import { SignupsModule } from '@herald/signups';
import { TemplatesModule } from '@herald/templates';
import { TrackingModule } from '@herald/tracking';
import { WebhooksModule } from '@herald/webhooks';
import { type DynamicModule, Module } from '@nestjs/common';
import { OperationsModule } from './operations.module.js';

export interface ApiOptions extends CoreOptions {
  /** Also run the job processors in this process (`npm start`). */
  withWorker: boolean;
  /**
   * Also run the SMTP relay and the inbound listener in this process (`npm start`); a port either
   * cannot bind is logged and skipped.
   */
  withRelay?: boolean;
}

@Module({})
export class ApiModule {
  static forRoot(config: HeraldConfig, options: ApiOptions): DynamicModule {
    return {
      module: ApiModule,
      imports: [
        HeraldCoreModule.forRoot(config, options),
        AuthModule,
        ContactsModule,
        SegmentsModule,
        TemplatesModule,
        DeliveryModule,
        SandboxInboxModule,
        TrackingModule,
        CampaignsModule,
        SignupsModule,
        RelayModule,
        WebhooksModule,
        InboundModule,
        OperationsModule,
        ...(options.withWorker ? [ProcessorsModule] : []),
        ...(options.withRelay === true
          ? [RelayServerModule.forRoot({ required: false }), InboundServerModule.forRoot({ required: false })]
          : []),
      ],
    };
  }
}
