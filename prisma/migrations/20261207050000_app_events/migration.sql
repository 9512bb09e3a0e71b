-- App events (docs/protocol.md "App events", src/modules/server-api/app-events.ts): an outbox
-- of what happened, written by triggers in the very transaction that made it happen, so an
-- event exists iff its change committed. A worker posts each stream's events in id order to
-- APP_EVENTS_URL and deletes them once delivered; every attempt goes to the delivery log.

-- Pending events only (a delivered or given-up event is deleted; its log rows stay).
-- CreateTable
CREATE TABLE "app_events" (
    "id" BIGSERIAL NOT NULL,
    "stream" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "data" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "app_events_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "app_events_stream_id_idx" ON "app_events"("stream", "id");

-- One row per stream being worked or backing off (deleted when caught up).
-- CreateTable
CREATE TABLE "app_event_streams" (
    "stream" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "next_attempt_at" TIMESTAMPTZ(3),
    "lease_id" UUID,
    "lease_until" TIMESTAMPTZ(3),
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "app_event_streams_pkey" PRIMARY KEY ("stream")
);

-- CreateTable
CREATE TABLE "app_event_deliveries" (
    "id" UUID NOT NULL,
    "event_id" BIGINT NOT NULL,
    "stream" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "attempt" INTEGER NOT NULL,
    "status" TEXT NOT NULL,
    "response_code" INTEGER,
    "error" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "app_event_deliveries_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "app_event_deliveries_created_at_id_idx" ON "app_event_deliveries"("created_at" DESC, "id" DESC);

-- The recorder. Events about a conversation first lock its row (FOR NO KEY UPDATE: what the
-- send statement's UPDATE of last_seq takes, so a send pays nothing more), which makes every
-- transaction that reports on one conversation take its event ids in the order it commits:
-- the stream's id order is its commit order. A conversation deleted in this transaction (its
-- row already gone) is not reported member by member.
CREATE FUNCTION app_event_record() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  conv uuid;
  ext text;
BEGIN
  IF TG_TABLE_NAME = 'users' THEN
    INSERT INTO app_events (stream, type, data) VALUES ('user:' || NEW.id, 'user.created', jsonb_build_object('user',
      jsonb_build_object('id', NEW.id, 'externalId', NEW.external_id, 'username', NEW.username, 'displayName', NEW.display_name, 'avatarUrl', NEW.avatar_url, 'isBot', NEW.is_bot)));
    RETURN NULL;
  END IF;
  IF TG_TABLE_NAME = 'conversations' THEN conv := NEW.id;
  ELSIF TG_OP = 'DELETE' THEN conv := OLD.conversation_id;
  ELSE conv := NEW.conversation_id;
  END IF;
  -- A message's seq came from an UPDATE of its conversation row in this transaction: the lock is held.
  IF TG_TABLE_NAME <> 'messages' THEN
    PERFORM 1 FROM conversations WHERE id = conv FOR NO KEY UPDATE;
    IF NOT FOUND THEN RETURN NULL; END IF;
  END IF;
  IF TG_TABLE_NAME = 'conversations' THEN
    INSERT INTO app_events (stream, type, data) VALUES ('conversation:' || conv, 'conversation.created', jsonb_build_object('conversation',
      jsonb_build_object('id', NEW.id, 'type', NEW.type, 'name', NEW.name, 'ownerId', NEW.owner_id)));
  ELSIF TG_TABLE_NAME = 'messages' THEN
    SELECT external_id INTO ext FROM users WHERE id = NEW.sender_id;
    INSERT INTO app_events (stream, type, data) VALUES ('conversation:' || conv, 'message.sent', jsonb_build_object('message',
      jsonb_build_object('id', NEW.id, 'conversationId', NEW.conversation_id, 'seq', NEW.seq, 'senderId', NEW.sender_id, 'senderExternalId', ext,
        'clientMsgId', NEW.client_msg_id, 'type', NEW.type, 'content', NEW.content, 'createdAt', NEW.created_at)));
  ELSE
    IF TG_OP = 'DELETE' THEN
      SELECT external_id INTO ext FROM users WHERE id = OLD.user_id;
      INSERT INTO app_events (stream, type, data) VALUES ('conversation:' || conv, 'member.left', jsonb_build_object(
        'conversationId', conv, 'userId', OLD.user_id, 'externalId', ext, 'role', OLD.role));
    ELSE
      SELECT external_id INTO ext FROM users WHERE id = NEW.user_id;
      INSERT INTO app_events (stream, type, data) VALUES ('conversation:' || conv, 'member.joined', jsonb_build_object(
        'conversationId', conv, 'userId', NEW.user_id, 'externalId', ext, 'role', NEW.role));
    END IF;
  END IF;
  RETURN NULL;
END $$;

-- Each fires only in sessions where the app set relay.app_events = 'on' (APP_EVENTS_URL is
-- configured; src/db/drivers.ts): elsewhere the WHEN test is all a write pays.
CREATE TRIGGER app_event_user AFTER INSERT ON users FOR EACH ROW
  WHEN (current_setting('relay.app_events', true) = 'on') EXECUTE FUNCTION app_event_record();
CREATE TRIGGER app_event_conversation AFTER INSERT ON conversations FOR EACH ROW
  WHEN (current_setting('relay.app_events', true) = 'on') EXECUTE FUNCTION app_event_record();
CREATE TRIGGER app_event_message AFTER INSERT ON messages FOR EACH ROW
  WHEN (current_setting('relay.app_events', true) = 'on') EXECUTE FUNCTION app_event_record();
CREATE TRIGGER app_event_member AFTER INSERT OR DELETE ON conversation_members FOR EACH ROW
  WHEN (current_setting('relay.app_events', true) = 'on') EXECUTE FUNCTION app_event_record();
