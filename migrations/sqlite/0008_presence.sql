-- Reachability: which end users have a client connected, on any node.
--
-- Every initialised client socket of a service with reachability enabled holds one `presence`
-- row (its identity, the node serving it). A user is online while at least one row of their
-- identity exists. A socket that closes keeps its row until `closed_until` (unix ms), so a
-- client that reconnects at once never looks offline. Rows belong to their node: each node
-- refreshes its one `presence_nodes` row (unix ms expiry), and the sweeper deletes the rows of
-- closed sockets past their linger and of nodes that stopped refreshing (crashed), logging the
-- users who went offline. Nothing here is copied by `banter copy`: it describes live sockets.
create table presence_nodes (
    node_id text primary key,
    expires_at integer not null
);

create table presence (
    service_sid text not null,
    identity text not null,
    socket_id text not null,
    node_id text not null,
    closed_until integer,
    primary key (service_sid, identity, socket_id)
);
create index presence_node_idx on presence (node_id);
create index presence_closed_idx on presence (closed_until) where closed_until is not null;
