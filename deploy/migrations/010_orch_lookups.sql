-- 010_orch_lookups: the orchestrator's two per-turn look-ups as PL/pgSQL
-- functions. PL/pgSQL keeps each statement's plan for the session, so a turn
-- pays for executing the query, not for planning it again (planning these
-- joins costs more than running them).

CREATE FUNCTION orch_find_order(p_tenant text, p_order text)
RETURNS TABLE (order_id text, customer_id text, email text, status text, placed text, carrier text,
               tracking_no text, total_sen bigint, items bigint, delivered_days integer, window_days integer)
LANGUAGE plpgsql STABLE AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY
    SELECT o.order_id, coalesce(o.customer_id, ''), o.email, o.status,
           to_char(o.placed_at AT TIME ZONE 'Asia/Kuala_Lumpur', 'YYYY-MM-DD'),
           coalesce(o.carrier, ''), coalesce(o.tracking_no, ''), o.total_sen,
           (SELECT coalesce(sum(i.qty), 0)::bigint FROM order_items i
             WHERE i.tenant_id = o.tenant_id AND i.order_id = o.order_id),
           coalesce(extract(day FROM now() - o.delivered_at)::integer, -1),
           coalesce((SELECT rp.window_days FROM return_policy rp
                      WHERE rp.tenant_id = o.tenant_id AND rp.tier = coalesce(c.loyalty_tier, '')),
                    (SELECT min(rp.window_days) FROM return_policy rp WHERE rp.tenant_id = o.tenant_id), 30)
      FROM orders o
      LEFT JOIN customers c ON c.tenant_id = o.tenant_id AND c.customer_id = o.customer_id
     WHERE o.tenant_id = p_tenant AND o.order_id = p_order;
END $$;

-- Profile, the five most recent orders (JSON array of [id, status, total_sen,
-- placed_at_us]) and open ticket ids (JSON array of strings).
CREATE FUNCTION orch_customer_context(p_tenant text, p_customer text)
RETURNS TABLE (name text, loyalty_tier text, loyalty_points integer, orders json, tickets json)
LANGUAGE plpgsql STABLE AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY
    SELECT c.name, c.loyalty_tier, c.loyalty_points,
           coalesce((SELECT json_agg(json_build_array(o.order_id, o.status, o.total_sen,
                                     (extract(epoch FROM o.placed_at) * 1000000)::bigint) ORDER BY o.placed_at DESC)
                       FROM (SELECT x.order_id, x.status, x.total_sen, x.placed_at FROM orders x
                              WHERE x.tenant_id = c.tenant_id AND x.customer_id = c.customer_id
                              ORDER BY x.placed_at DESC LIMIT 5) o), '[]'::json),
           coalesce((SELECT json_agg(t.id::text ORDER BY t.id) FROM handoff_tickets t
                      WHERE t.tenant_id = c.tenant_id AND t.customer_id = c.customer_id
                        AND t.status <> 'closed'), '[]'::json)
      FROM customers c
     WHERE c.tenant_id = p_tenant AND c.customer_id = p_customer;
END $$;
