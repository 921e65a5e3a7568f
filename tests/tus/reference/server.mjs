// The reference tus 1.0 server for the interoperability test
// (core/tests/tus_reference.rs): @tus/server with a file store, on
// 127.0.0.1, a free port. Usage: node server.mjs DIRECTORY [relative]
// Prints "listening on PORT" once it accepts connections. It knows nothing
// of Gridwork's metadata or credentials: it stores bytes, which is the point
// (a standard server must take what the phone sends).
import { Server } from '@tus/server'
import { FileStore } from '@tus/file-store'

const directory = process.argv[2]
if (!directory) {
  console.error('usage: node server.mjs DIRECTORY [relative]')
  process.exit(2)
}
const server = new Server({
  path: '/v1/uploads',
  datastore: new FileStore({ directory }),
  // "relative": answer creation with a relative Location, which the client
  // must resolve against the request URL.
  relativeLocation: process.argv[3] === 'relative',
})
const http = server.listen(0, '127.0.0.1', () => {
  console.log(`listening on ${http.address().port}`)
})
process.on('SIGTERM', () => http.close(() => process.exit(0)))
