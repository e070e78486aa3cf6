/*
 * emit_variant.h - the body of the recorder's fast path, included by
 * emit_inline.h once per timestamp read (RHOOK__EMIT_NAME,
 * RHOOK__EMIT_ORDERED, RHOOK__EMIT_NOW); no include guard on purpose.
 */
RHOOK__EMIT_INLINE void RHOOK__EMIT_NAME(unsigned id, const void *payload, uint32_t len, const void *tail,
					 uint32_t tail_len)
{
	struct rhook__rec_tls *t = &rhook__rec_tls;
	struct rhook__recorder *r;
	uint32_t size = (uint32_t)sizeof(struct rhr_record) + len + tail_len;

	if (RHOOK_UNLIKELY(t->nesting)) {
		rhook__rec_emit_nested();
		return;
	}
	t->nesting = 1;
	urcu_bp_read_lock();
	/* Pairs with the release store that published the recorder (recorder.c, publish()). */
	r = atomic_load_explicit(&rhook__rec_current, memory_order_acquire);
	if (RHOOK_LIKELY(r && t->gen == r->gen && t->bh && t->off + size <= r->subbuf_payload))
		rhook__rec_put(t, id, payload, len, tail, tail_len, RHOOK__EMIT_NOW(r->clock));
	else
		rhook__rec_emit_slow(t, r, id, payload, len, tail, tail_len, RHOOK__EMIT_ORDERED);
	/* Every use of @r happens before stop unmaps it (TSan's view of the grace period). */
	RHOOK__TSAN_RELEASE(&rhook__rec_gp_token);
	urcu_bp_read_unlock();
	t->nesting = 0;
}

#undef RHOOK__EMIT_NAME
#undef RHOOK__EMIT_ORDERED
#undef RHOOK__EMIT_NOW
