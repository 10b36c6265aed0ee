// Run the reads given on stdin with MongoDB's official Node.js driver and print their results as canonical
// Extended JSON (tests/test_node_driver.py runs the same reads with pymongo and compares).
//
// Usage: node read_all.cjs URI DB BATCH < reads.json
// reads.json: [{"name", "op", "collection", ...}] with op one of find, aggregate, countDocuments, distinct,
// listCollections, listIndexes, findOne, firstThenClose, estimatedDocumentCount; filters and pipelines are canonical Extended JSON.
// Every collection of the database is also read whole ("all:<name>", sorted by _id); cursors fetch BATCH
// documents at a time, so getMore is exercised. Values are not promoted, so Int32, Int64 and Double keep their BSON types.
"use strict";

const { MongoClient, BSON } = require("mongodb");

const { EJSON } = BSON;

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks).toString("utf8");
}

async function run(db, read, batchSize) {
  const coll = db.collection(read.collection || "");
  const opts = { promoteValues: false, batchSize };
  switch (read.op) {
    case "find": {
      let cursor = coll.find(read.filter || {}, { ...opts, projection: read.projection });
      if (read.sort) cursor = cursor.sort(read.sort);
      if (read.skip) cursor = cursor.skip(read.skip);
      if (read.limit) cursor = cursor.limit(read.limit);
      return await cursor.toArray();
    }
    case "findOne":
      return await coll.findOne(read.filter || {}, { promoteValues: false, projection: read.projection });
    case "aggregate":
      return await coll.aggregate(read.pipeline, opts).toArray();
    case "firstThenClose": {
      // one document of a cursor that has more, then close it early: killCursors with the long id
      const cursor = coll.find(read.filter || {}, { promoteValues: false, batchSize: 2 }).sort(read.sort);
      const first = await cursor.next();
      await cursor.close();
      return first;
    }
    case "estimatedDocumentCount":
      return await coll.estimatedDocumentCount();
    case "countDocuments":
      return await coll.countDocuments(read.filter || {});
    case "distinct":
      return await coll.distinct(read.key, read.filter || {});
    case "listCollections":
      return (await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name).sort();
    case "listIndexes":
      return (await coll.listIndexes().toArray())
        .map((i) => ({ name: i.name, key: i.key, unique: Boolean(i.unique) }))
        .sort((a, b) => (a.name < b.name ? -1 : 1));
    default:
      throw new Error(`unknown op ${read.op}`);
  }
}

async function main() {
  const [uri, dbName, batch] = process.argv.slice(2);
  const batchSize = Number(batch) || 100;
  const reads = EJSON.parse(await readStdin(), { relaxed: true });
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 10000, appName: "newsmon-node-test" });
  try {
    const db = client.db(dbName);
    const out = {};
    const names = (await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name).sort();
    for (const name of names) {
      out[`all:${name}`] = await run(db, { op: "find", collection: name, sort: { _id: 1 } }, batchSize);
    }
    for (const read of reads) out[read.name] = await run(db, read, batchSize);
    process.stdout.write(EJSON.stringify(out, { relaxed: false }));
  } finally {
    await client.close();
  }
}

main().catch((err) => {
  process.stderr.write(`${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
});
