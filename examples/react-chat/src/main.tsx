import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { createClient } from '@relay-im/client'
import { App } from './app.js'

// Signs in with the username and password in the URL's hash (#user=alice&password=...), a
// demo shortcut: a real app has a sign-in form. `server` is the Relay IM server's URL when it
// is not this page's origin (the server's ALLOWED_ORIGINS must then list this page's origin).
const params = new URLSearchParams(location.hash.slice(1))
const client = createClient({
  url: params.get('server') ?? location.origin,
  credentials: { username: params.get('user') ?? '', password: params.get('password') ?? '' }
})
void client.login().then(() => client.connect())

createRoot(document.getElementById('root')!).render(<StrictMode><App client={client} /></StrictMode>)
