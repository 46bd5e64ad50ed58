import { HeraldCoreModule, type HeraldConfig, WorkerHeartbeat } from '@herald/common';
import { ContactsWorkerModule } from '@herald/contacts';
import { type DynamicModule, Module } from '@nestjs/common';

@Module({})
export class WorkerModule {
  /** The job processors alone, for a process that already has the core module. */
  static processors(): DynamicModule {
    return { module: WorkerModule, imports: [ContactsWorkerModule], providers: [WorkerHeartbeat] };
  }

  /** A standalone worker process. */
  static forRoot(config: HeraldConfig): DynamicModule {
    return {
      module: WorkerModule,
      imports: [HeraldCoreModule.forRoot(config), ContactsWorkerModule],
      providers: [WorkerHeartbeat],
    };
  }
}
