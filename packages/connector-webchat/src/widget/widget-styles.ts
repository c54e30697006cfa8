/** The widget's styles, scoped to its shadow root so the host page and the widget never clash. */
export const widgetStyles = `
:host { all: initial; }
.tl-root { position: fixed; right: 20px; bottom: 20px; z-index: 2147483000;
  font: 15px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1f2933; }
.tl-launcher { display: flex; align-items: center; gap: 8px; margin-left: auto; border: 0;
  border-radius: 999px; padding: 12px 18px; background: var(--tl-accent, #2457c5); color: #fff;
  font: inherit; font-weight: 600; cursor: pointer; box-shadow: 0 4px 14px rgba(0,0,0,.2); }
.tl-launcher:focus-visible, .tl-root button:focus-visible, .tl-root textarea:focus-visible,
.tl-root a:focus-visible { outline: 3px solid #f0b429; outline-offset: 2px; }
.tl-panel { display: flex; flex-direction: column; width: min(370px, calc(100vw - 40px));
  height: min(560px, calc(100vh - 110px)); margin-bottom: 12px; background: #fff;
  border-radius: 14px; box-shadow: 0 10px 40px rgba(0,0,0,.25); overflow: hidden; }
.tl-panel[hidden] { display: none; }
.tl-header { display: flex; align-items: center; justify-content: space-between; padding: 12px 16px;
  background: var(--tl-accent, #2457c5); color: #fff; }
.tl-title { margin: 0; font-size: 16px; font-weight: 600; }
.tl-close { border: 0; background: transparent; color: #fff; font-size: 22px; line-height: 1;
  cursor: pointer; padding: 2px 6px; border-radius: 6px; }
.tl-connection { margin: 0; padding: 4px 16px; font-size: 13px; background: #fff8e1; color: #6b4e00; }
.tl-connection:empty { display: none; }
.tl-messages { flex: 1; list-style: none; margin: 0; padding: 12px; overflow-y: auto;
  display: flex; flex-direction: column; gap: 8px; background: #f5f7fa; }
.tl-message { display: flex; flex-direction: column; max-width: 85%; }
.tl-message.tl-visitor { align-self: flex-end; align-items: flex-end; }
.tl-message.tl-business { align-self: flex-start; align-items: flex-start; }
.tl-bubble { padding: 8px 12px; border-radius: 14px; white-space: pre-wrap; overflow-wrap: anywhere; }
.tl-visitor .tl-bubble { background: var(--tl-accent, #2457c5); color: #fff; border-bottom-right-radius: 4px; }
.tl-business .tl-bubble { background: #fff; border: 1px solid #d9e2ec; border-bottom-left-radius: 4px; }
.tl-bubble p { margin: 0; }
.tl-bubble a { color: inherit; }
.tl-attachments { margin: 6px 0 0; padding-left: 18px; }
.tl-choices { display: flex; flex-wrap: wrap; gap: 6px; margin-top: 8px; }
.tl-choices button { border: 1px solid var(--tl-accent, #2457c5); background: #fff;
  color: var(--tl-accent, #2457c5); border-radius: 999px; padding: 5px 12px; font: inherit; cursor: pointer; }
.tl-choices button[aria-pressed="true"] { background: var(--tl-accent, #2457c5); color: #fff; }
.tl-choices button:disabled { cursor: default; opacity: .7; }
.tl-state { font-size: 12px; color: #616e7c; margin-top: 2px; }
.tl-state.tl-problem { color: #ab091e; }
.tl-typing { margin: 0; padding: 2px 16px 6px; font-size: 13px; color: #616e7c; background: #f5f7fa; }
.tl-typing[hidden] { display: none; }
.tl-form { display: flex; gap: 8px; padding: 10px; border-top: 1px solid #d9e2ec; align-items: flex-end; }
.tl-form textarea { flex: 1; resize: none; border: 1px solid #9aa5b1; border-radius: 10px;
  padding: 8px 10px; font: inherit; min-height: 40px; max-height: 120px; }
.tl-send { border: 0; border-radius: 10px; padding: 10px 14px; background: var(--tl-accent, #2457c5);
  color: #fff; font: inherit; font-weight: 600; cursor: pointer; }
.tl-sr { position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden;
  clip: rect(0 0 0 0); white-space: nowrap; border: 0; }
`;
