import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'

/** One alert of an Alertmanager webhook notification (payload version 4). */
export interface NotifiedAlert {
  status: 'firing' | 'resolved'
  labels: Record<string, string>
  annotations: Record<string, string>
  startsAt: string
  endsAt: string
}

/** An Alertmanager webhook notification (payload version 4). */
export interface Notification {
  version: string
  status: 'firing' | 'resolved'
  receiver: string
  groupLabels: Record<string, string>
  commonLabels: Record<string, string>
  alerts: NotifiedAlert[]
}

export interface WebhookReceiver {
  /** The URL to put in an Alertmanager webhook_config. */
  url: string
  notifications: Notification[]
  /** Every alert of every notification, oldest first. */
  alerts: () => NotifiedAlert[]
  close: () => Promise<void>
}

async function body (request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of request) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

/** An HTTP server on 127.0.0.1 that collects the notifications Alertmanager posts to it. */
export async function startWebhookReceiver (): Promise<WebhookReceiver> {
  const notifications: Notification[] = []
  const server = createServer((request, response) => {
    body(request).then((text) => {
      if (request.method === 'POST') notifications.push(JSON.parse(text) as Notification)
      response.writeHead(200).end()
    }, () => response.writeHead(400).end())
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/alerts`,
    notifications,
    alerts: () => notifications.flatMap((n) => n.alerts),
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}
