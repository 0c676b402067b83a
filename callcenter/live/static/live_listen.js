// "Listen" on the live board: a live call over WebRTC, a plain RTCPeerConnection (receive-only
// audio) whose offer is POSTed to the API; the session is DELETEd when the supervisor stops.
import { api, errorText, fmt } from "./ui.js";

function waitForIce(pc) {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      if (pc.iceGatheringState === "complete") {
        pc.removeEventListener("icegatheringstatechange", done);
        resolve();
      }
    };
    pc.addEventListener("icegatheringstatechange", done);
    setTimeout(resolve, 2000); // enough host candidates for a LAN service
  });
}

function endSession(sessionId, options) {
  return api("DELETE", `/api/v1/live/sessions/${sessionId}`, undefined, options);
}

// One call listened to at a time. ``changed(callId)`` redraws that call's row,
// ``failed(text, detail)`` shows what went wrong in the reader's words, with the API's own
// message as the detail (an empty text clears it).
export class Listener {
  constructor(audio, changed, failed) {
    this.audio = audio;
    this.changed = changed;
    this.failed = failed;
    this.current = null; // {callId, sessionId, pc}
    window.addEventListener("pagehide", () => {
      if (this.current && this.current.sessionId) {
        endSession(this.current.sessionId, { keepalive: true }).catch(() => {});
      }
    });
  }

  callId() {
    return this.current ? this.current.callId : null;
  }

  connection(current) {
    const pc = current.pc;
    pc.addTransceiver("audio", { direction: "recvonly" });
    pc.addEventListener("track", (event) => {
      this.audio.srcObject = event.streams[0] || new MediaStream([event.track]);
      this.audio.play().catch(() => {});
    });
    pc.addEventListener("connectionstatechange", () => {
      if (["failed", "closed"].includes(pc.connectionState) && this.current === current) {
        this.stop(true);
      }
    });
  }

  async start(callId) {
    if (this.current) await this.stop(true);
    this.failed("");
    const current = { callId: callId, sessionId: null, pc: new RTCPeerConnection({ iceServers: [] }) };
    this.current = current;
    this.connection(current);
    this.changed(callId);
    try {
      await this.offer(current);
    } catch (error) {
      if (this.current === current) {
        this.current = null;
        current.pc.close();
        this.changed(callId);
      }
      const why = errorText(error, "live.error.");
      this.failed(fmt("live.listen_failed", { message: why }), error.message);
    }
  }

  async offer(current) {
    const pc = current.pc;
    await pc.setLocalDescription(await pc.createOffer());
    await waitForIce(pc);
    const answer = await api(
      "POST", `/api/v1/live/calls/${encodeURIComponent(current.callId)}/listen`,
      { sdp: pc.localDescription.sdp, type: "offer" });
    current.sessionId = answer.session_id;
    if (this.current !== current) { // stopped meanwhile
      await endSession(answer.session_id).catch(() => {});
      return;
    }
    await pc.setRemoteDescription({ type: answer.type, sdp: answer.sdp });
    document.body.dataset.listening = current.callId;
  }

  async stop(tellServer) {
    const current = this.current;
    if (!current) return;
    this.current = null;
    delete document.body.dataset.listening;
    current.pc.close();
    this.audio.srcObject = null;
    this.changed(current.callId);
    if (tellServer && current.sessionId) {
      try {
        await endSession(current.sessionId);
      } catch (error) {
        this.failed(errorText(error, "live.error."), error.message);
      }
    }
  }
}
