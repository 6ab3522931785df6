-- What a removal needs that its deleted record can no longer tell: the client gateway turns
-- changes into live events by reading the current record of what changed, and for a removal
-- that record is gone. `detail` is the deleted message's index (decimal text) for
-- `message_removed`, and the identity for `member_removed` and `invite_removed`; null for every
-- other kind. Rows logged before this migration have none.
alter table changes add column detail text;
