-- Conversations participants reached through SMS or WhatsApp (`MessagingBinding.*`) and a chat
-- participant's projected address in a group MMS: stored and returned (Banter delivers no SMS).
--
-- `messaging_binding` is the participant's binding as JSON (`type`, `address`, `proxy_address`,
-- `projected_address`; NULL for a plain chat participant). A participant without an identity
-- keeps its own SID in `identity`, which stays unique per channel and never names a user.
alter table members add column messaging_binding text;
