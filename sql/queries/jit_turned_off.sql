-- JIT off for this transaction: the bulk writes are short queries it only slows down.
SELECT set_config('jit', 'off', true)
