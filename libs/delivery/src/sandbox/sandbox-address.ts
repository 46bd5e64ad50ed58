import { HERALD_CONFIG, type HeraldConfig } from '@herald/common';
import { Inject, Injectable } from '@nestjs/common';
import type { SandboxEndpoint } from '../pool/sender-pool.js';

/**
 * Where the sandbox sender delivers: the configured host and port, or in the
 * process that runs the inbox on port 0, the port it actually bound.
 */
@Injectable()
export class SandboxAddress implements SandboxEndpoint {
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

  /** The endpoint the sender pool sends sandbox senders to (`SANDBOX_ENDPOINT`); null while unknown (port 0 elsewhere). */
  address(): { host: string; port: number } | null {
    return this.enabled && this.port !== 0 ? { host: this.host, port: this.port } : null;
  }

  /** Set by the inbox once it listens. */
  listening(port: number): void {
    this.boundPort = port;
  }
}
