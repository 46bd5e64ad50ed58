export interface SkeletonOptions {
  from: { email: string; name: string | null };
  replyTo: string | null;
  domain: string;
  feedbackId: string;
  dkim: { domain: string; selector: string; privateKey: string } | null;
}
export interface RecipientParts {
  messageId: string;
  token: string;
  to: string;
  toName?: string | null;
  subject: string;
  html: string;
  text: string;
  unsubscribeUrl: string;
}
export class MessageSkeleton {
  constructor(readonly options: SkeletonOptions) {}
  build(_parts: RecipientParts, _date?: Date): Buffer {
    throw new Error('delivery lib not merged yet');
  }
  returnPath(token: string): string {
    return `bounce+${token}@${this.options.domain}`;
  }
}
