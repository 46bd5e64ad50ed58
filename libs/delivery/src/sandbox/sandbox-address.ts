import { HERALD_CONFIG, type HeraldConfig } from '@herald/common';
import { Inject, Injectable } from '@nestjs/common';

/**
 * Where the sandbox sender delivers: the configured host and port, or in the
 * process that runs the inbox on port 0, the port it actually bound.
 */
@Injectable()
export class SandboxAddress {
  readonly enabled: boolean;
  readonly host: string;
  private boundPort: number | undefined;

  constructor(@Inject(HERALD_CONFIG) private readonly config: HeraldConfig) {
    this.enabled = config.HERALD_SANDBOX_ENABLED;
    this.host = config.HERALD_SANDBOX_SMTP_HOST;
  }

  get port(): number {
    return this.boundPort ?? this.config.HERALD_SANDBOX_SMTP_PORT;
  }

  /** Set by the inbox once it listens. */
  listening(port: number): void {
    this.boundPort = port;
  }
}
