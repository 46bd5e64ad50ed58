import { PageQueryDto } from '@herald/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { INBOUND_OUTCOMES, type InboundOutcome } from './inbound-intake.js';

const KINDS = ['delivery-status', 'feedback-report', 'unsubscribe', 'other'];
const EFFECTS = ['hard-bounce', 'soft-bounce', 'complaint', 'unsubscribe'];

export class InboundQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: INBOUND_OUTCOMES, description: 'Only messages with this outcome' })
  @IsOptional()
  @IsIn(INBOUND_OUTCOMES)
  outcome?: InboundOutcome;
}

export class InboundMessageView {
  @ApiProperty({ example: '1' }) id: string;
  @ApiProperty({ format: 'date-time' }) receivedAt: string;
  @ApiProperty({ type: String, nullable: true, description: 'The client that delivered it' })
  remoteAddress: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'MAIL FROM; null for the null sender of a bounce' })
  envelopeFrom: string | null;
  @ApiProperty({ type: [String], description: 'RCPT TO' }) envelopeTo: string[];
  @ApiProperty({ type: String, nullable: true }) messageId: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'The From header as sent' }) from: string | null;
  @ApiProperty({ type: String, nullable: true }) subject: string | null;
  @ApiProperty({
    enum: KINDS,
    description:
      'What it was read as: a delivery status notification (RFC 3464, or a plain-text bounce to a return path read by the status it quotes), an abuse feedback report (RFC 5965), mail to a List-Unsubscribe address, or anything else',
  })
  kind: string;
  @ApiProperty({
    enum: INBOUND_OUTCOMES,
    description:
      'processed: matched to its message and acted on; duplicate: counted before; unmatched: names no message Herald sent; unparseable: not a report Herald reads',
  })
  outcome: InboundOutcome;
  @ApiProperty({ enum: EFFECTS, nullable: true, description: 'What it did to its message, if anything' })
  effect: string | null;
  @ApiProperty({ description: 'Why it ended as it did' }) reason: string;
  @ApiProperty({ type: String, nullable: true, description: 'The message (delivery row) it is about' })
  matchedMessageId: string | null;
  @ApiProperty({ description: 'Size of the message as received, in bytes' }) size: number;
}

export class InboundHeaderView {
  @ApiProperty({ example: 'Content-Type' }) name: string;
  @ApiProperty() value: string;
}

export class InboundMessageDetailView extends InboundMessageView {
  @ApiProperty({ type: [InboundHeaderView], description: 'Every header in order, unfolded' })
  headers: InboundHeaderView[];
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    description:
      'What the report said: for a delivery status notification `format` (`rfc3464` or `plain`), `recipients` (recipient, action, status, diagnostic; none when plain), `effect` and `detail`; for a feedback report `feedbackType`',
  })
  report: Record<string, unknown> | null;
  @ApiProperty({ description: 'The message as received (UTF-8; invalid bytes replaced), at most 1 MiB' })
  raw: string;
  @ApiProperty({ description: 'Whether `raw` is cut short of the message received' })
  rawTruncated: boolean;
}
