-- Post-event deliveries are ordered per receiver URL and, within it, per channel (the key is
-- `<channel or service sid> <url>`, built by chat::events::ordering_key), instead of per
-- channel alone: a receiver that is down used to hold back every other receiver's deliveries
-- for that channel for as long as it was retried. Rows written before keep their order within
-- the new keys.
update outbox set ordering_key = ordering_key || ' ' || url;
