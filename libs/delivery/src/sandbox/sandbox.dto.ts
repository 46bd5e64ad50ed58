import { PageQueryDto } from '@herald/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';

export class SandboxQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'Only messages to this envelope recipient (case-insensitive)' })
  @IsOptional()
  @IsString()
  @MaxLength(254)
  to?: string;
}

export class SandboxMessageView {
  @ApiProperty({ example: '1' }) id: string;
  @ApiProperty({ format: 'date-time' }) receivedAt: string;
  @ApiProperty({ type: String, nullable: true, description: 'MAIL FROM (the return path)' })
  envelopeFrom: string | null;
  @ApiProperty({ type: [String], description: 'RCPT TO' }) envelopeTo: string[];
  @ApiProperty({ type: String, nullable: true }) messageId: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'The From header as sent' }) from: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'The To header as sent' }) to: string | null;
  @ApiProperty({ type: String, nullable: true }) subject: string | null;
  @ApiProperty({ description: 'Size of the raw message in bytes' }) size: number;
}

export class SandboxHeaderView {
  @ApiProperty({ example: 'List-Unsubscribe' }) name: string;
  @ApiProperty() value: string;
}

export class SandboxMessageDetailView extends SandboxMessageView {
  @ApiProperty({ type: [SandboxHeaderView], description: 'Every header in order, unfolded' })
  headers: SandboxHeaderView[];
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'The HTML part as data: show it in a sandboxed frame, never as a page of this origin',
  })
  html: string | null;
  @ApiProperty({ type: String, nullable: true }) text: string | null;
}
