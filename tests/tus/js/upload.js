// tus-js-client (Node) against gridwork serve, for tests/tus/interop.sh.
//   node upload.js URL WORKDIR
// Photo 2: uploaded whole in 256 KiB chunks. Photo 3: aborted after its
// first chunk, then resumed by a new Upload through the client's own
// mechanism (findPreviousUploads + resumeFromPreviousUpload, URL storage in
// a file). Exits non-zero on any failure.
'use strict'

const fs = require('fs')
const path = require('path')
const tus = require('tus-js-client')

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
}

main().catch((e) => {
  console.error(`tus-js-client: FAILED: ${e && e.stack ? e.stack : e}`)
  process.exit(1)
})
