import { AuthModule } from '@herald/auth';
import { type CoreOptions, HeraldCoreModule, type HeraldConfig } from '@herald/common';
import { ContactsModule } from '@herald/contacts';
import { SegmentsModule } from '@herald/segments';
import { TemplatesModule } from '@herald/templates';
import { type DynamicModule, Module } from '@nestjs/common';
import { WorkerModule } from '../../worker/src/worker.module.js';
import { OperationsModule } from './operations.module.js';

export interface ApiOptions extends CoreOptions {
  /** Also run the job processors in this process (`npm start`). */
  withWorker: boolean;
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
        OperationsModule,
        ...(options.withWorker ? [WorkerModule.processors()] : []),
      ],
    };
  }
}
