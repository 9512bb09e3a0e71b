// suite: default only — the SDK's upload body for React Native, with a recording FormData; no server involved
import t, { type Test } from 'tap'
import { ClientError, RestClient } from '@relay-im/client'

/** React Native's FormData keeps what it is given and reads `{ uri, name, type }` parts from the device. */
class RecordingFormData {
  readonly parts: unknown[][] = []
  append (...args: unknown[]): void { this.parts.push(args) }
}

function withFormData (t: Test): void {
  const real = globalThis.FormData
  ;(globalThis as { FormData: unknown }).FormData = RecordingFormData
  t.teardown(() => { globalThis.FormData = real })
}

function recordingClient (): { client: RestClient, bodies: unknown[] } {
  const bodies: unknown[] = []
  const fetch = async (_url: string | URL | Request, init?: RequestInit): Promise<Response> => {
    bodies.push(init?.body)
    return new Response(JSON.stringify({ url: '/api/uploads/u1', name: 'photo.jpg', size: 3, mime: 'image/jpeg' }), { status: 201, headers: { 'content-type': 'application/json' } })
  }
  return { client: new RestClient({ url: 'http://relay.test', token: 't', fetch: fetch as typeof globalThis.fetch, crossTab: false }), bodies }
}

t.test("upload takes React Native's { uri, name, type } and sends it as the file part", async (t) => {
  withFormData(t)
  const { client, bodies } = recordingClient()
  const content = await client.upload({ uri: 'file:///data/photo.jpg', name: 'photo.jpg', type: 'image/jpeg' })
  t.match(content, { url: '/api/uploads/u1', mime: 'image/jpeg' })
  t.same((bodies[0] as RecordingFormData).parts, [['file', { uri: 'file:///data/photo.jpg', name: 'photo.jpg', type: 'image/jpeg' }]], 'one part, as React Native reads it')

  await client.upload({ uri: 'content://media/7', name: '', type: 'image/png' }, 'renamed.png')
  t.same((bodies[1] as RecordingFormData).parts, [['file', { uri: 'content://media/7', name: 'renamed.png', type: 'image/png' }]], 'the name argument wins')
})

t.test('a Blob is still a Blob part; a malformed native file is VALIDATION before any request', async (t) => {
  withFormData(t)
  const { client, bodies } = recordingClient()
  const blob = new Blob(['abc'], { type: 'text/plain' })
  await client.upload(blob, 'a.txt')
  t.same((bodies[0] as RecordingFormData).parts, [['file', blob, 'a.txt']])
  for (const bad of [{ uri: '', name: 'x', type: 'image/png' }, { uri: 'file:///x', name: 'x', type: '' }, { name: 'x' }, null]) {
    await t.rejects(client.upload(bad as never), new ClientError('VALIDATION', 'upload: give a Blob, or { uri, name, type } with a non-empty uri and type'), JSON.stringify(bad))
  }
  t.equal(bodies.length, 1, 'nothing sent for them')
})
