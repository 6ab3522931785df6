-- Conversations API: the account-level Conversations configuration.
--
-- One row per account, created the first time the account uses the Conversations API: the
-- SID of its default Conversations service (a Chat service like any other, which the
-- top-level `/v1/Conversations…` resources act on) and the rest of `/v1/Configuration` and
-- `/v1/Configuration/Webhooks` as JSON. The unique `account_sid` makes that first creation
-- race-free across nodes: the insert of the loser does nothing.
create table conversations_accounts (
    seq integer primary key,
    account_sid text not null unique references accounts (sid) on delete cascade,
    default_service_sid text not null,
    settings text not null
);

-- What only a conversation has, in the channel's own row: its `state` (active, inactive,
-- closed; NULL reads as active) and the Messaging Service it is bound to.
alter table channels add column state text;
alter table channels add column messaging_service_sid text;

-- The account's address configurations (`/v1/Configuration/Addresses`), stored and returned:
-- Banter connects to no carrier, so nothing arrives at them. One per address and account.
create table conversation_addresses (
    seq integer primary key,
    sid text not null unique,
    account_sid text not null references accounts (sid) on delete cascade,
    type text not null,
    address text not null,
    friendly_name text,
    auto_creation text not null,
    address_country text,
    date_created text not null,
    date_updated text not null,
    unique (account_sid, address)
);
