import { Alert, Button, Modal, Stack, Text } from '@mantine/core';
import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { TILL_NAMESPACE } from './i18n/index.ts';

type CameraProblem = 'refused' | 'absent' | 'failed';

/** Why the camera could not start, in the words the cashier needs (getUserMedia's DOMException names). */
function problemOf(error: unknown): CameraProblem {
  const name = error instanceof Error ? error.name : '';
  if (name === 'NotAllowedError' || name === 'SecurityError') return 'refused';
  if (name === 'NotFoundError' || name === 'OverconstrainedError' || !navigator.mediaDevices?.getUserMedia)
    return 'absent';
  return 'failed';
}

/**
 * The device camera reading the member's card QR (whose content is the card number, what the find
 * box takes). @zxing/browser is imported only when the dialog opens, so the till's first load does
 * not carry it; the camera stops when the dialog closes, whichever way it closes.
 */
function Camera({ onScanned }: { onScanned: (code: string) => void }) {
  const { t } = useTranslation(TILL_NAMESPACE);
  const video = useRef<HTMLVideoElement>(null);
  const [problem, setProblem] = useState<CameraProblem | null>(null);
  const scanned = useRef(onScanned);
  scanned.current = onScanned;

  useEffect(() => {
    let stop: (() => void) | undefined;
    let closed = false;
    const start = async () => {
      const { BrowserQRCodeReader } = await import('@zxing/browser');
      const element = video.current;
      if (closed || !element) return;
      const controls = await new BrowserQRCodeReader().decodeFromConstraints(
        { video: { facingMode: 'environment' } },
        element,
        (result, _error, running) => {
          if (!result || closed) return;
          running.stop();
          scanned.current(result.getText());
        },
      );
      // Closed while the camera was starting: stop it at once.
      if (closed) controls.stop();
      else stop = () => controls.stop();
    };
    start().catch((error: unknown) => {
      if (!closed) setProblem(problemOf(error));
    });
    return () => {
      closed = true;
      stop?.();
    };
  }, []);

  if (problem)
    return (
      <Alert color="yellow" role="alert" title={t(`scan.${problem}`)} data-testid="till-camera-problem">
        {t('scan.typeInstead')}
      </Alert>
    );
  return (
    <Stack gap="xs">
      {/* A live picture with nothing to hear: no captions to give. */}
      <video
        ref={video}
        muted
        playsInline
        style={{ width: '100%', borderRadius: 8, background: '#000' }}
        aria-label={t('scan.preview')}
        data-testid="till-camera"
      />
      <Text c="dimmed">{t('scan.hint')}</Text>
    </Stack>
  );
}

export function ScanDialog({
  opened,
  onClose,
  onScanned,
}: {
  opened: boolean;
  onClose: () => void;
  onScanned: (code: string) => void;
}) {
  const { t } = useTranslation(TILL_NAMESPACE);
  return (
    <Modal
      opened={opened}
      onClose={onClose}
      title={t('scan.title')}
      size="lg"
      centered
      // The till puts the focus back in its search box itself.
      returnFocus={false}
      closeButtonProps={{ 'aria-label': t('scan.cancel') }}
    >
      {/* Mounted only while open: closing unmounts it, which stops the camera. */}
      {opened && (
        <Stack>
          <Camera onScanned={onScanned} />
          <Button size="lg" variant="default" onClick={onClose}>
            {t('scan.cancel')}
          </Button>
        </Stack>
      )}
    </Modal>
  );
}
