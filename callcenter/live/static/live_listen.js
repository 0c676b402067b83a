// "Listen" on the live board: a live call over WebRTC, a plain RTCPeerConnection whose offer is
// POSTed to the API; the session is DELETEd when the supervisor stops. With a microphone the
// supervisor can also whisper to the manager or barge in (PUT mode): the microphone is on the
// connection from the start, muted (track.enabled = false) while only listening.
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

// The supervisor's microphone, or null: without one the supervisor can still listen.
async function microphone() {
  try {
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: false });
    return stream.getAudioTracks()[0] || null;
  } catch (error) {
    return null;
  }
}

// One call listened to at a time. ``changed(callId)`` redraws that call's row,
// ``failed(text, detail)`` shows what went wrong in the reader's words, with the API's own
// message as the detail (an empty text clears it).
export class Listener {
  constructor(audio, changed, failed) {
    this.audio = audio;
    this.changed = changed;
    this.failed = failed;
    this.current = null; // {callId, sessionId, pc, mic, mode}
    window.addEventListener("pagehide", () => {
      if (this.current && this.current.sessionId) {
        endSession(this.current.sessionId, { keepalive: true }).catch(() => {});
      }
    });
  }

  callId() {
    return this.current ? this.current.callId : null;
  }

  mode() {
    return this.current ? this.current.mode : null;
  }

  canSpeak() {
    return Boolean(this.current && this.current.mic);
  }

  connection(current) {
    const pc = current.pc;
    if (current.mic) {
      current.mic.enabled = false;
      pc.addTrack(current.mic, new MediaStream([current.mic]));
    } else {
      pc.addTransceiver("audio", { direction: "recvonly" });
    }
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
    const current = { callId: callId, sessionId: null, pc: new RTCPeerConnection({ iceServers: [] }), mic: null, mode: "listen" };
    this.current = current;
    current.mic = await microphone();
    if (this.current !== current) {
      if (current.mic) current.mic.stop(); // stopped while the browser asked for the microphone
      return;
    }
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

  // Listen, whisper or barge on the running session; the call and the connection stay up.
  async setMode(mode) {
    const current = this.current;
    if (!current || !current.sessionId || mode === current.mode) return;
    this.failed("");
    try {
      await api("PUT", `/api/v1/live/sessions/${current.sessionId}`, { mode: mode });
      current.mode = mode;
      if (current.mic) current.mic.enabled = mode !== "listen";
    } catch (error) {
      this.failed(fmt("live.mode_failed", { message: errorText(error, "live.error.") }), error.message);
    }
    this.changed(current.callId);
  }

  async stop(tellServer) {
    const current = this.current;
    if (!current) return;
    this.current = null;
    delete document.body.dataset.listening;
    current.pc.close();
    if (current.mic) current.mic.stop();
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
