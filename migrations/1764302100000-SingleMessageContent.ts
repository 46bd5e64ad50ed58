import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A single message's row in `messages` names the content it delivers
 * (`content_id`: for the relay's and the API's mail, a `relay_messages`
 * row), and a relayed message lists its recipients' rows in order
 * (`relay_messages.message_ids`), in place of `relay_recipients`, the table
 * that tied the two. That table cost every relayed message a row, two index
 * entries and two foreign-key checks in the statement that stores it
 * before its 250; the claim now reads the content straight by id. Neither
 * column has a foreign key: `messages` (delivery) sits below relay, and the
 * rows of both live as long as each other (neither is ever deleted alone).
 */
export class SingleMessageContent1764302100000 implements MigrationInterface {
  name = 'SingleMessageContent1764302100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE messages ADD COLUMN content_id bigint;
      ALTER TABLE relay_messages ADD COLUMN message_ids bigint[] NOT NULL DEFAULT '{}';
      UPDATE messages m SET content_id = rr.relay_message_id FROM relay_recipients rr WHERE rr.message_id = m.id;
      UPDATE relay_messages r SET message_ids = ARRAY(
        SELECT rr.message_id FROM relay_recipients rr WHERE rr.relay_message_id = r.id ORDER BY rr.message_id
      );
      ALTER TABLE relay_messages ALTER COLUMN message_ids DROP DEFAULT;
      DROP TABLE relay_recipients;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE relay_recipients (
        message_id bigint PRIMARY KEY REFERENCES messages (id) ON DELETE CASCADE,
        relay_message_id bigint NOT NULL REFERENCES relay_messages (id) ON DELETE CASCADE
      );
      CREATE INDEX relay_recipients_relay_message_idx ON relay_recipients (relay_message_id);
      INSERT INTO relay_recipients (message_id, relay_message_id)
        SELECT m.id, m.content_id FROM messages m JOIN relay_messages r ON r.id = m.content_id;
      ALTER TABLE relay_messages DROP COLUMN message_ids;
      ALTER TABLE messages DROP COLUMN content_id;
    `);
  }
}
