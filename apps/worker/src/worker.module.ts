import { HeraldCoreModule, type HeraldConfig } from '@herald/common';
import { ProcessorsModule } from '@herald/processors';
import { type DynamicModule, Module } from '@nestjs/common';

/** A standalone worker process: the core module and every job processor. */
@Module({})
export class WorkerModule {
  static forRoot(config: HeraldConfig): DynamicModule {
    return { module: WorkerModule, imports: [HeraldCoreModule.forRoot(config), ProcessorsModule] };
  }
}
