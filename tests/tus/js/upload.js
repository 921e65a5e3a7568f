// tus-js-client (Node) against gridwork serve, for tests/tus/interop.sh.
//   node upload.js URL WORKDIR
// Every PATCH carries an Upload-Checksum (sha256 of its body, added by an
// HTTP stack wrapped around the client's own: tus-js-client has no checksum
// option). Photo 2: a first attempt whose checksum is wrong is refused with
// 460, then uploaded whole in 256 KiB chunks. Photo 3: aborted after its
// first chunk, then resumed by a new Upload through the client's own
// mechanism (findPreviousUploads + resumeFromPreviousUpload, URL storage in
// a file). Exits non-zero on any failure.
'use strict'

const fs = require('fs')
const path = require('path')
const crypto = require('crypto')
const tus = require('tus-js-client')

let checksummed = 0

// The client's Node stack, with `Upload-Checksum: sha256 <base64>` set on
// every PATCH from the bytes it is about to send (`corrupt`: a wrong one).
class ChecksumStack {
  constructor(corrupt) {
    this.inner = new tus.DefaultHttpStack()
    this.corrupt = corrupt
  }
  createRequest(method, url) {
    const req = this.inner.createRequest(method, url)
    const send = req.send.bind(req)
    req.send = (body) => {
      if (method === 'PATCH' && body instanceof Uint8Array) {
        const digest = crypto.createHash('sha256').update(body).digest()
        if (this.corrupt) digest[0] ^= 0xff
        req.setHeader('Upload-Checksum', `sha256 ${digest.toString('base64')}`)
        checksummed += 1
      }
      return send(body)
    }
    return req
  }
  getName() {
    return 'ChecksumStack'
  }
}

const [url, work] = process.argv.slice(2)
const ev = JSON.parse(fs.readFileSync(path.join(work, 'evidence.json'), 'utf8'))
const storage = new tus.FileUrlStorage(path.join(work, 'tus-js-urls.json'))

function options(p, extra) {
  return {
    endpoint: `${url}/v1/uploads`,
    headers: { Authorization: `Bearer ${ev.token}` },
    metadata: { evidence_id: p.id, sha256: p.sha256, filename: 'photo.jpg', filetype: 'image/jpeg' },
    chunkSize: 256 * 1024,
    retryDelays: [0, 500],
    urlStorage: storage,
    storeFingerprintForResuming: true,
    removeFingerprintOnSuccess: true,
    httpStack: new ChecksumStack(false),
    ...extra,
  }
}

function run(p, extra) {
  return new Promise((resolve, reject) => {
    const upload = new tus.Upload(fs.readFileSync(p.path), options(p, {
      onError: reject,
      onSuccess: () => resolve(upload),
      ...extra,
    }))
    upload.start()
  })
}

async function main() {
  const whole = ev.photos[2]
  // A wrong checksum: the chunk is refused with 460, nothing is kept.
  const refused = await run(whole, { httpStack: new ChecksumStack(true), retryDelays: [], storeFingerprintForResuming: false })
    .then(() => null, (e) => e)
  const status = refused && refused.originalResponse ? refused.originalResponse.getStatus() : null
  if (status !== 460) throw new Error(`a wrong checksum was answered ${status}, not 460: ${refused}`)
  console.error('tus-js-client: a chunk with a wrong sha256 checksum was refused with 460')
  const u = await run(whole, {})
  console.error(`tus-js-client: photo 2 uploaded whole (${whole.size} bytes) -> ${u.url}`)

  const p = ev.photos[3]
  const data = fs.readFileSync(p.path)
  // First attempt: stop after the first chunk is acknowledged.
  const firstUrl = await new Promise((resolve, reject) => {
    const upload = new tus.Upload(data, options(p, {
      onError: reject,
      onSuccess: () => reject(new Error('finished before it was aborted')),
      onChunkComplete: (chunk, sent) => {
        upload.abort(false).then(() => resolve(upload.url), reject)
      },
    }))
    upload.start()
  })
  // Second attempt: a new Upload finds the first one and resumes it.
  const resumed = await new Promise((resolve, reject) => {
    let startedAt = null
    const upload = new tus.Upload(data, options(p, {
      onError: reject,
      onProgress: (sent) => { if (startedAt === null) startedAt = sent },
      onSuccess: () => resolve({ upload, startedAt }),
    }))
    upload.findPreviousUploads().then((previous) => {
      if (previous.length !== 1) return reject(new Error(`expected 1 previous upload, found ${previous.length}`))
      upload.resumeFromPreviousUpload(previous[0])
      upload.start()
    }, reject)
  })
  if (resumed.upload.url !== firstUrl) throw new Error(`resumed ${resumed.upload.url}, not ${firstUrl}`)
  console.error(`tus-js-client: photo 3 aborted after the first chunk, resumed ${firstUrl} (first progress at ${resumed.startedAt} bytes) and completed`)
  if (checksummed < 3) throw new Error(`only ${checksummed} PATCH requests carried a checksum`)
  console.error(`tus-js-client: ${checksummed} PATCH requests carried sha256 checksums`)
}

main().catch((e) => {
  console.error(`tus-js-client: FAILED: ${e && e.stack ? e.stack : e}`)
  process.exit(1)
})
