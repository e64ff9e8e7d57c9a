-- log_index.message_ref was declared STRICT. PostgreSQL inlines a one-expression SQL function into
-- the query that calls it only when it can prove the expression strict too, which it cannot for a
-- CASE; a function it does not inline is parsed, analysed and planned again on every execution of
-- its calling query. The log's statement trigger calls it twice, so every log INSERT parsed two
-- small queries (log_parser_stats): about 110-140 µs of server CPU per INSERT, a quarter of a
-- one-row INSERT's. Without STRICT the result is the same (a NULL reference falls through to
-- ELSE ref, NULL) and the planner inlines the expression once, when the trigger's plan is made.
CREATE OR REPLACE FUNCTION "log_index"."message_ref"(ref text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN ref LIKE '<%>' THEN substr(ref, 2, length(ref) - 2) ELSE ref END
$$;
