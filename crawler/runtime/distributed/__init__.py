"""Distributed mode: many crawler processes sharing one frontier in Redis, built on scrapy-redis.

Off unless `REDIS_URL` is set (`crawler.runtime.distributed.addon.DistributedAddon`). Then every process that crawls a
site shares that site's request queue and seen-set in Redis, so a URL is fetched once per run whichever process
takes it, and the queue outlives the processes. scrapy-redis 0.9.1 supplies the scheduler, queue and duplicate
filter; newsmon subclasses them where they fall short (see each module) and adds what a fleet needs:

- `queue.ReliableQueue`: a taken request stays in the worker's in-flight set in Redis until it is fully handled;
- `frontier.Frontier`: runs (start, join, finish), worker heartbeats, dead workers' requests put back, locks;
- `scheduler.SharedScheduler`: the scrapy-redis scheduler that pauses, instead of failing, while Redis is away;
- `worker.WorkerLoop`: heartbeat, acknowledgements, waking an idle engine, stopping when all is done;
- `seed.push_due` / `seed.push_urls`: how a scheduler (or anyone) feeds a site's queue, under a Redis lock;
- `redis_server.LocalRedis`: Debian's redis-server on 127.0.0.1 for tests, the bench and the demo.

Deployment: docs/deployment.md.
"""
