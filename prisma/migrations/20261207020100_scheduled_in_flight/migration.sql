-- The sweep of scheduled messages left queued or sending with no live job (pg-boss gave up):
-- it looks only at these few rows, oldest first, not the whole table of sent ones.
CREATE INDEX "scheduled_messages_in_flight_idx" ON "scheduled_messages"("updated_at") WHERE "status" IN ('queued', 'sending');
