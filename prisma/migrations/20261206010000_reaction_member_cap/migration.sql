-- One member puts at most REACTIONS_PER_MEMBER (3) distinct emojis on one message
-- (src/modules/conversations/message-actions.ts): their reactions of a message, by index.
-- CreateIndex
CREATE INDEX "message_reactions_message_id_user_id_idx" ON "message_reactions"("message_id", "user_id");

-- A member's reactions on a message as committed now, not as the calling statement's snapshot
-- saw them: VOLATILE plpgsql takes a fresh snapshot for each query it runs. The one-statement
-- add (a reaction with an emoji the message already has) takes the conversation's row lock in
-- that statement, after its snapshot was taken; counting through this function after the lock
-- sees every reaction committed before it, so concurrent adds by one member cannot both pass.
CREATE FUNCTION "member_reaction_count"("message" uuid, "member" uuid) RETURNS integer LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  n integer;
BEGIN
  SELECT count(*)::int INTO n FROM "message_reactions" WHERE "message_id" = "message" AND "user_id" = "member";
  RETURN n;
END
$$;
