import { useState } from 'react';
import {
  Alert,
  Box,
  Button,
  Center,
  Group,
  Paper,
  PasswordInput,
  Stack,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useForm } from '@mantine/form';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useRouter, useSearch } from '@tanstack/react-router';
import { IconAlertTriangle, IconRocket } from '@tabler/icons-react';
import { ApiError, errorMessage } from '../../api/client';
import { authApi } from '../../api/endpoints';
import { mapFieldErrors } from '../../components/formErrors';
import { safeRedirect } from './session';

interface SignInValues {
  email: string;
  password: string;
}

function signInMessage(error: unknown): { title: string; message: string } {
  if (error instanceof ApiError) {
    if (error.code === 'invalid_credentials' || error.status === 401) {
      return { title: 'Sign-in failed', message: error.detail || 'The email or password is not correct.' };
    }
    if (error.code === 'rate_limited' || error.status === 429) {
      return { title: 'Too many attempts', message: error.detail || 'Wait a moment and try again.' };
    }
  }
  return { title: 'Sign-in failed', message: errorMessage(error) };
}

export function SignInPage() {
  const { redirect } = useSearch({ from: '/sign-in' });
  const router = useRouter();
  const queryClient = useQueryClient();
  const [formError, setFormError] = useState<unknown>(null);

  const form = useForm<SignInValues>({
    mode: 'controlled',
    initialValues: { email: '', password: '' },
    validate: {
      email: (value) => (/^\S+@\S+$/.test(value.trim()) ? null : 'Enter your email address'),
      password: (value) => (value ? null : 'Enter your password'),
    },
  });

  const login = useMutation({
    mutationFn: (values: SignInValues) => authApi.login(values.email.trim(), values.password),
    onMutate: () => setFormError(null),
    onSuccess: async () => {
      queryClient.clear();
      router.history.replace(safeRedirect(redirect));
    },
    onError: (error) => {
      const { fieldErrors } = mapFieldErrors(error, ['email', 'password']);
      if (Object.keys(fieldErrors).length) form.setErrors(fieldErrors);
      setFormError(error);
      form.setFieldValue('password', '');
    },
  });

  const problem = formError ? signInMessage(formError) : null;

  return (
    <Center mih="100vh" p="md" bg="var(--mantine-color-body)">
      <Box w="100%" maw={380}>
        <Stack gap={4} mb="lg" align="center">
          <Group gap={8}>
            <IconRocket size={28} color="var(--mantine-color-indigo-6)" aria-hidden />
            <Title order={1} fz={26}>
              Shipgate
            </Title>
          </Group>
          <Text c="dimmed" size="sm" ta="center">
            Release and change management you can run yourself.
          </Text>
        </Stack>
        <Paper withBorder p="lg" radius="md" shadow="xs">
          <form onSubmit={form.onSubmit((values) => login.mutate(values))} noValidate>
            <Stack gap="sm">
              <Title order={2} fz="md" fw={600}>
                Sign in to your account
              </Title>
              {problem ? (
                <Alert color="red" variant="light" icon={<IconAlertTriangle size={16} />} title={problem.title} role="alert">
                  {problem.message}
                </Alert>
              ) : null}
              <TextInput
                label="Email"
                type="email"
                autoComplete="username"
                placeholder="you@example.com"
                required
                data-autofocus
                autoFocus
                {...form.getInputProps('email')}
              />
              <PasswordInput
                label="Password"
                autoComplete="current-password"
                required
                visibilityToggleButtonProps={{ 'aria-label': 'Show or hide what you typed' }}
                {...form.getInputProps('password')}
              />
              <Button type="submit" size="sm" fullWidth loading={login.isPending} mt="xs">
                Sign in
              </Button>
            </Stack>
          </form>
        </Paper>
        <Text size="xs" c="dimmed" ta="center" mt="md">
          Accounts are created by your Shipgate administrator.
        </Text>
      </Box>
    </Center>
  );
}
