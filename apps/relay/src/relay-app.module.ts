import { HeraldCoreModule, type HeraldConfig } from '@herald/common';
import { RelayServerModule } from '@herald/relay';
import { type DynamicModule, Module } from '@nestjs/common';

/** A standalone relay process: the core module and the SMTP listeners; workers deliver what it stores. */
@Module({})
export class RelayAppModule {
  static forRoot(config: HeraldConfig): DynamicModule {
    return {
      module: RelayAppModule,
      imports: [HeraldCoreModule.forRoot(config), RelayServerModule.forRoot({ required: true })],
    };
  }
}
